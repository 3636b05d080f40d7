# -*- coding: utf-8 -*-

################################################################################
## Form generated from reading UI file 'main_window.ui'
##
## Created by: Qt User Interface Compiler version 6.12.0
##
## WARNING! All changes made in this file will be lost when recompiling UI file!
################################################################################

from PySide6.QtCore import (QCoreApplication, QDate, QDateTime, QLocale,
    QMetaObject, QObject, QPoint, QRect,
    QSize, QTime, QUrl, Qt)
from PySide6.QtGui import (QAction, QBrush, QColor, QConicalGradient,
    QCursor, QFont, QFontDatabase, QGradient,
    QIcon, QImage, QKeySequence, QLinearGradient,
    QPainter, QPalette, QPixmap, QRadialGradient,
    QTransform)
from PySide6.QtWidgets import (QAbstractItemView, QApplication, QCheckBox, QComboBox,
    QHBoxLayout, QHeaderView, QLabel, QLineEdit,
    QMainWindow, QMenu, QMenuBar, QSizePolicy,
    QStatusBar, QTableView, QVBoxLayout, QWidget)

class Ui_MainWindow(object):
    def setupUi(self, MainWindow):
        if not MainWindow.objectName():
            MainWindow.setObjectName(u"MainWindow")
        MainWindow.resize(1100, 680)
        self.actionImport = QAction(MainWindow)
        self.actionImport.setObjectName(u"actionImport")
        self.actionRefresh = QAction(MainWindow)
        self.actionRefresh.setObjectName(u"actionRefresh")
        self.actionQuit = QAction(MainWindow)
        self.actionQuit.setObjectName(u"actionQuit")
        self.actionOpenLog = QAction(MainWindow)
        self.actionOpenLog.setObjectName(u"actionOpenLog")
        self.actionAbout = QAction(MainWindow)
        self.actionAbout.setObjectName(u"actionAbout")
        self.centralwidget = QWidget(MainWindow)
        self.centralwidget.setObjectName(u"centralwidget")
        self.mainLayout = QVBoxLayout(self.centralwidget)
        self.mainLayout.setObjectName(u"mainLayout")
        self.filterBar = QHBoxLayout()
        self.filterBar.setObjectName(u"filterBar")
        self.searchEdit = QLineEdit(self.centralwidget)
        self.searchEdit.setObjectName(u"searchEdit")
        self.searchEdit.setClearButtonEnabled(True)

        self.filterBar.addWidget(self.searchEdit)

        self.credentialLabel = QLabel(self.centralwidget)
        self.credentialLabel.setObjectName(u"credentialLabel")

        self.filterBar.addWidget(self.credentialLabel)

        self.credentialCombo = QComboBox(self.centralwidget)
        self.credentialCombo.setObjectName(u"credentialCombo")
        self.credentialCombo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)

        self.filterBar.addWidget(self.credentialCombo)

        self.statusLabel = QLabel(self.centralwidget)
        self.statusLabel.setObjectName(u"statusLabel")

        self.filterBar.addWidget(self.statusLabel)

        self.statusCombo = QComboBox(self.centralwidget)
        self.statusCombo.setObjectName(u"statusCombo")

        self.filterBar.addWidget(self.statusCombo)

        self.draftCheck = QCheckBox(self.centralwidget)
        self.draftCheck.setObjectName(u"draftCheck")

        self.filterBar.addWidget(self.draftCheck)


        self.mainLayout.addLayout(self.filterBar)

        self.submissionTable = QTableView(self.centralwidget)
        self.submissionTable.setObjectName(u"submissionTable")
        self.submissionTable.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.submissionTable.setAlternatingRowColors(True)
        self.submissionTable.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.submissionTable.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.submissionTable.setSortingEnabled(True)
        self.submissionTable.setWordWrap(False)

        self.mainLayout.addWidget(self.submissionTable)

        self.emptyLabel = QLabel(self.centralwidget)
        self.emptyLabel.setObjectName(u"emptyLabel")
        self.emptyLabel.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.emptyLabel.setWordWrap(True)

        self.mainLayout.addWidget(self.emptyLabel)

        MainWindow.setCentralWidget(self.centralwidget)
        self.menubar = QMenuBar(MainWindow)
        self.menubar.setObjectName(u"menubar")
        self.menuFile = QMenu(self.menubar)
        self.menuFile.setObjectName(u"menuFile")
        self.menuHelp = QMenu(self.menubar)
        self.menuHelp.setObjectName(u"menuHelp")
        MainWindow.setMenuBar(self.menubar)
        self.statusbar = QStatusBar(MainWindow)
        self.statusbar.setObjectName(u"statusbar")
        MainWindow.setStatusBar(self.statusbar)
#if QT_CONFIG(shortcut)
        self.credentialLabel.setBuddy(self.credentialCombo)
        self.statusLabel.setBuddy(self.statusCombo)
#endif // QT_CONFIG(shortcut)

        self.menubar.addAction(self.menuFile.menuAction())
        self.menubar.addAction(self.menuHelp.menuAction())
        self.menuFile.addAction(self.actionImport)
        self.menuFile.addAction(self.actionRefresh)
        self.menuFile.addSeparator()
        self.menuFile.addAction(self.actionQuit)
        self.menuHelp.addAction(self.actionOpenLog)
        self.menuHelp.addAction(self.actionAbout)

        self.retranslateUi(MainWindow)

        QMetaObject.connectSlotsByName(MainWindow)
    # setupUi

    def retranslateUi(self, MainWindow):
        MainWindow.setWindowTitle(QCoreApplication.translate("MainWindow", u"Reviewer", None))
        self.actionImport.setText(QCoreApplication.translate("MainWindow", u"&Import Package\u2026", None))
#if QT_CONFIG(shortcut)
        self.actionImport.setShortcut(QCoreApplication.translate("MainWindow", u"Ctrl+I", None))
#endif // QT_CONFIG(shortcut)
        self.actionRefresh.setText(QCoreApplication.translate("MainWindow", u"&Refresh", None))
#if QT_CONFIG(shortcut)
        self.actionRefresh.setShortcut(QCoreApplication.translate("MainWindow", u"F5", None))
#endif // QT_CONFIG(shortcut)
        self.actionQuit.setText(QCoreApplication.translate("MainWindow", u"&Quit", None))
#if QT_CONFIG(shortcut)
        self.actionQuit.setShortcut(QCoreApplication.translate("MainWindow", u"Ctrl+Q", None))
#endif // QT_CONFIG(shortcut)
        self.actionOpenLog.setText(QCoreApplication.translate("MainWindow", u"Show &Log Folder", None))
        self.actionAbout.setText(QCoreApplication.translate("MainWindow", u"&About Reviewer", None))
        self.searchEdit.setPlaceholderText(QCoreApplication.translate("MainWindow", u"Search submission id or credential\u2026", None))
        self.credentialLabel.setText(QCoreApplication.translate("MainWindow", u"&Credential:", None))
        self.statusLabel.setText(QCoreApplication.translate("MainWindow", u"&Status:", None))
        self.draftCheck.setText(QCoreApplication.translate("MainWindow", u"&Has a draft", None))
#if QT_CONFIG(tooltip)
        self.draftCheck.setToolTip(QCoreApplication.translate("MainWindow", u"Only submissions with a review in progress", None))
#endif // QT_CONFIG(tooltip)
        self.emptyLabel.setText(QCoreApplication.translate("MainWindow", u"No submissions yet. Use File \u25b8 Import Package\u2026 to add a submission package.", None))
        self.menuFile.setTitle(QCoreApplication.translate("MainWindow", u"&File", None))
        self.menuHelp.setTitle(QCoreApplication.translate("MainWindow", u"&Help", None))
    # retranslateUi

